@faults
Feature: Faults in a practice's records: a correct extraction counts what is there, and only that
  Record faults (simulator/population/faults.py) rewrite one practice's records: events dated after
  the achievement date, events recorded twice, codes in no cluster, events lost, a register's every
  code removed. Each supplier's counts must still equal the reference engine's count of the same
  records; faults a correct extraction ignores change no count at all.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    And some of A81001's events are dated after the achievement date
    And some of A81002's events are recorded twice
    And A81003's records carry codes that are in no cluster
    And some of A81004's events are lost
    And every diabetes code is missing from A81005's records
    When GPES collects the QOF 2012/13 extraction

  Scenario: Every supplier counts what the reference engine counts in the faulty records
    Then every supplier's counts equal the reference engine's count of its records

  Scenario Outline: <what> changes no count
    Then the counts CQRS holds for <practice> equal those of its records without the fault

    Examples:
      | what                           | practice |
      | An event recorded twice        | A81002   |
      | A code in no cluster           | A81003   |

  Scenario Outline: <what> changes the counts
    Then the counts CQRS holds for <practice> differ from those of its records without the fault

    Examples:
      | what                                     | practice |
      | An event dated after the achievement date | A81001   |
      | A lost event                             | A81004   |

  Scenario: A register whose every code is gone is counted as empty
    Then CQRS holds a diabetes register of 0 for A81005
    And CQRS holds every Diabetes indicator of A81005 at 0 of 0
