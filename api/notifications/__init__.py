"""Staff alerts and resident notices waiting for the WeChat front to send them (issue 17)."""
