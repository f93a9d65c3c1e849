"""The ankle programme, the rules that adjust it, and the planner that builds each day's sessions."""
