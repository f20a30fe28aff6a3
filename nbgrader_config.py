# nbgrader reads nbgrader_config.py from the folder it runs in (it has no --config option), so
# plain `nbgrader ...` commands must run from this repository root. The settings live in
# autograder/nbgrader_config.py.
c = get_config()  # noqa: F821
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821
