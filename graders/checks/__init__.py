"""The check framework: the @check decorator and registry, the context a check receives, comparisons."""
