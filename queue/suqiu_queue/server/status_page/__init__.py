"""The public ticket status page behind the QR code: /t/<token>."""
