@extraction @read_only
Feature: A supplier's extract carries counts, every one the spec asks for, and nothing about a patient
  Each supplier runs the business rules over its own practices' records (Read v2, or CTV3 on TPP)
  and submits one extract per practice: the list size, every register, each indicator's numerator,
  denominator and exceptions, and the additional services target populations. Never a patient row.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    When GPES collects the QOF 2012/13 extraction

  Scenario: Every extract carries every register and indicator of the spec
    Then every extract carries every register and indicator of the spec and nothing else

  Scenario: No patient identifier leaves a supplier
    Then no extract that left a supplier carries an NHS number

  Scenario Outline: A supplier counts what the reference engine counts in the same records
    Then <supplier>'s counts for <practice> equal the reference engine's count of its records

    Examples:
      | supplier  | practice |
      | EMIS      | A81001   |
      | TPP       | A81002   |
      | INPS      | A81003   |
      | Microtest | A81004   |
