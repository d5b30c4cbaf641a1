"""iCal (RFC 5545) rendering of maintenance windows: windows in, bytes out."""
