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


def test_s3_server_stores_objects(s3_server):
    client = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=s3_server.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_server.env["AWS_SECRET_ACCESS_KEY"],
        region_name=s3_server.env["AWS_REGION"],
    )
    client.put_object(Bucket=s3_server.bucket, Key="lake/check.txt", Body=b"ST.86")
    assert client.get_object(Bucket=s3_server.bucket, Key="lake/check.txt")["Body"].read() == b"ST.86"
    assert s3_server.url == "s3://ipetl-test/"


def test_stop_ends_the_whole_process_group(tmp_path):
    server = devservers.start_redis(tmp_path)
    server.stop()
    assert not group_alive(server.pid)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0
