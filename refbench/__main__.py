from refbench.cli import main

raise SystemExit(main())
