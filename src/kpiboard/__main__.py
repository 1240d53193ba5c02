from kpiboard.cli import main

main()
