"""Reports for people: the readable text of a programme and of a projection."""
