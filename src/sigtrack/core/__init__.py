"""The pure core of sigtrack: values, rules and numbers, with no I/O and no clock."""
