"""The audit log and its checks, retention, backups and restores."""
