"""Workflows that run several stages in a row: the built-in general-English set and
`devspeech adapt`. Like the quickstart, they may import every stage; no stage imports them."""
