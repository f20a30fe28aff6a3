"""The course's grader: intake, sandbox, engine and the instructor's command."""
