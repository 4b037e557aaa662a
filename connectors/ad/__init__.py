"""On-premises Active Directory (LDAP over TLS) and the school file shares (SMB), see docs/ad.md."""
