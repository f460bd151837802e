"""The test servers are real: each fixture's server takes a write and gives it back."""

from __future__ import annotations

import socket

import boto3
import psycopg2
import redis

from ipetl import devservers
from ipetl.processes import group_alive


def test_postgres_server_stores_rows(postgres_server):
    url = devservers.create_database(postgres_server, "devservers_check")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("create table marks (st13 text primary key, name text)")
        cur.execute("insert into marks values ('KH500000000001234', 'ANGKOR')")
        cur.execute("select name from marks where st13 = 'KH500000000001234'")
        assert cur.fetchall() == [("ANGKOR",)]
    assert postgres_server.libpq("devservers_check") == (
        f"dbname=devservers_check host=127.0.0.1 port={postgres_server.port} user=postgres"
    )


def test_redis_server_stores_keys(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.set("ipetl:check", "ST.66")
    assert client.get("ipetl:check") == b"ST.66"


def _s3_client(s3_server):
    return boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=s3_server.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_server.env["AWS_SECRET_ACCESS_KEY"],
        region_name=s3_server.env["AWS_REGION"],
    )


def test_s3_server_stores_objects(s3_server):
    client = _s3_client(s3_server)
    client.put_object(Bucket=s3_server.bucket, Key="lake/check.txt", Body=b"ST.86")
    assert client.get_object(Bucket=s3_server.bucket, Key="lake/check.txt")["Body"].read() == b"ST.86"
    assert s3_server.url == "s3://ipetl-test/"


def test_stop_ends_the_whole_process_group(tmp_path):
    server = devservers.start_redis(tmp_path)
    server.stop()
    assert not group_alive(server.pid)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0


def test_s3_server_ranged_reads_of_a_large_object(s3_server):
    """Objects past moto's 5 MB spooling limit, read by ranges (as a Parquet reader does), then
    overwritten: each range gives exactly its bytes, and the new object's after the overwrite."""
    client = _s3_client(s3_server)
    body = bytes(range(256)) * (24 * 1024 * 1024 // 256)  # 24 MiB, byte i holds i % 256
    client.put_object(Bucket=s3_server.bucket, Key="lake/big.parquet", Body=body)

    def read(key: str, ranges: str) -> bytes:
        return client.get_object(Bucket=s3_server.bucket, Key=key, Range=ranges)["Body"].read()

    assert read("lake/big.parquet", "bytes=0-3") == bytes([0, 1, 2, 3])
    assert read("lake/big.parquet", "bytes=20000000-20000002") == bytes(
        [20000000 % 256, 1 + 20000000 % 256, 2 + 20000000 % 256]
    )
    assert read("lake/big.parquet", "bytes=-2") == bytes([254, 255])  # the footer, as Parquet readers ask first
    client.put_object(Bucket=s3_server.bucket, Key="lake/big.parquet", Body=b"PAR1" + bytes(6 * 1024 * 1024))
    assert read("lake/big.parquet", "bytes=0-5") == b"PAR1\x00\x00"
    head = client.head_object(Bucket=s3_server.bucket, Key="lake/big.parquet")
    assert head["ContentLength"] == 4 + 6 * 1024 * 1024
