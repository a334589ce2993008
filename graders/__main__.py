from nngrade.cli import main

main()
