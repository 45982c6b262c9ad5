"""Time: the monthly grid from a programme's start, and its exact regrouping into periods."""
