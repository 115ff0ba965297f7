"""How the standard spells a boolean cell: the Table Schema defaults every pedcomm schema relies on
(a field without ``trueValues``/``falseValues`` reads these), and the spelling pedcomm writes."""

TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
#: What pedcomm writes (and shows): the first of each.
TRUE_TEXT, FALSE_TEXT = TRUE_VALUES[0], FALSE_VALUES[0]
