from provisioner.app.cli import main

main()
