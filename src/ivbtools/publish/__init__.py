"""Publishing (issue #30): every product — the yearly reports, the national table, the monitor and
the overview — reaches `outputs/` by one mechanism (staged.py): its files written into a staging
folder, its freshness record beside them, then renamed into place; nothing here renders (that is
present/), nothing here runs notebooks (that is batch/)."""
