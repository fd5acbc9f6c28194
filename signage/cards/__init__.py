"""Personal QR cards: a resident's own code that venue staff scan at the door."""
