"""Collection declarations, one module per delivery-format family."""
