# The state table, keyed as internal/store/dynamo creates it: pk (S, hash)
# and sk (S, range), no secondary index. On-demand capacity: Headroom
# writes a few items a cycle, far below what provisioned capacity would
# be worth. TTL deletes old decisions and idempotency keys.
resource "aws_dynamodb_table" "state" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.table_deletion_protection
  tags                        = local.tags

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at_epoch"
    enabled        = true
  }

  # Boosts, overrides and the audit trail are worth a restore point.
  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
