"""Entry script of the frozen client: PyInstaller starts a file, the client is a package."""

from crm_client.app import main

raise SystemExit(main())
