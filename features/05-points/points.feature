@points
Feature: CQRS turns counts into achievement points by the QOF 2012/13 rules
  Points are 0 at or below the lower threshold, the maximum at or above the upper one, and in
  between they rise in a straight line. An indicator with no eligible patient and no exception is
  not applicable: it leaves the practice's maximum. A register scores its points when the practice
  produces it; a yes/no indicator scores when its evidence is there. The SMOKE07 and SMOKE08 rows
  are published 2012/13 practice figures (BMJ Open). Every extract here is built by the scenario
  and sent by the practice's supplier through GPES to CQRS.

  Background:
    Given a QOF 2012/13 world of 4 practices on EMIS, TPP, INPS and Microtest

  Scenario Outline: SMOKE07 (11 points, 50-90 %) at <num> of <den>
    Given A81001 reports SMOKE07 numerator <num> of denominator <den>
    When A81001's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81001 earns <points> points for SMOKE07

    Examples: at, inside and beyond the thresholds
      | num   | den   | points |
      | 50    | 100   | 0.00   |
      | 1,319 | 1,497 | 10.48  |
      | 90    | 100   | 11.00  |
      | 97    | 100   | 11.00  |

  Scenario Outline: SMOKE08 (12 points, 40-90 %) at <num> of <den>
    Given A81002 reports SMOKE08 numerator <num> of denominator <den>
    When A81002's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81002 earns <points> points for SMOKE08

    Examples:
      | num | den | points |
      | 40  | 100 | 0.00   |
      | 325 | 401 | 9.85   |

  Scenario Outline: DM26 (17 points, 40-50 %) rises in a straight line between its thresholds
    Given A81003 reports DM26 numerator <num> of denominator 100
    When A81003's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81003 earns <points> points for DM26

    Examples:
      | num | points |
      | 39  | 0.00   |
      | 45  | 8.50   |
      | 48  | 13.60  |
      | 51  | 17.00  |

  Scenario: An indicator with no eligible patient and no exception leaves the maximum
    Given A81004 reports every Diabetes indicator at 100 of 100
    And A81004 reports DM26 numerator 0 of denominator 0
    When A81004's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then DM26 does not count towards A81004's maximum
    And A81004 earns 0 points for DM26
    And A81004 can earn at most 71 points for the Diabetes area
    And A81004 earns 71 points for the Diabetes area

  Scenario: An indicator whose patients were all excepted still counts towards the maximum
    Given A81004 reports every Diabetes indicator at 100 of 100
    And A81004 reports DM26 numerator 0 of denominator 0 with 5 exceptions
    When A81004's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then CQRS holds for A81004 the DM26 counts 0 of 0 with 5 exceptions
    And DM26 counts towards A81004's maximum
    And A81004 earns 0 points for DM26
    And A81004 can earn at most 88 points for the Diabetes area
    And A81004 earns 71 points for the Diabetes area

  Scenario: A practice's register travels from its supplier to CQRS and scores its points
    Given practice A81002 on TPP with a diabetes register of 400
    When A81002's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then CQRS holds a diabetes register of 400 for A81002
    And A81002 earns 6 points for DM32

  Scenario Outline: A register scores its points when the practice produces it (<register>)
    Given A81001 has a <register> register of <size>
    When A81001's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81001 earns <points> points for <indicator>

    Examples:
      | register | size | indicator | points |
      | diabetes | 300  | DM32      | 6.00   |
      | asthma   | 410  | ASTHMA01  | 4.00   |
      | COPD     | 0    | COPD14    | 3.00   |

  Scenario Outline: A yes/no indicator scores when the records hold its evidence (PC02 at <num>)
    Given A81002 reports PC02 numerator <num> of denominator <num>
    When A81002's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81002 earns <points> points for PC02

    Examples:
      | num | points |
      | 1   | 3.00   |
      | 0   | 0.00   |
