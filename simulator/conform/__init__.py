"""The supplier conformance kit (issue #9): a population built from the rules, qofsim's own
extraction over it, and a checker that compares any supplier's extracts with the reference engine
count for count and names the indicator, the rule step and the patients behind each difference.

The population is synthetic throughout, so (here and only here) patient ids appear in the verdicts.
"""
