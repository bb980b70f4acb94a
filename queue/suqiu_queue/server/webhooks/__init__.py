"""webhooks area: HMAC-signed outbound webhooks on case events for OA/ERP systems, with retries and dead letters."""
