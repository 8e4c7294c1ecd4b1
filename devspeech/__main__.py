from devspeech.cli import main

main()
