import PingshenCLI

Pingshen.main()
