"""Discord guild betting: the book of bets, odds, the commands, recaps and exports.

Every number shown comes from the catalog Engine; this package records bets (with an
audit trail) and phrases what the catalog says.
"""
