"""The fuzz suite (issue 18): hypothesis over scenario files, sweep files and command lines."""
