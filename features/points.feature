Feature: Achievement points follow the QOF 2012/13 thresholds
  Points are 0 at or below the lower threshold, the maximum at or above the upper threshold,
  and in between they rise in a straight line. The SMOKE07 and SMOKE08 rows are checked
  against published 2012/13 practice figures (BMJ Open).

  Scenario Outline: Points follow the thresholds of SMOKE07 (11 points, 50-90 %)
    Given practice "<practice>" reported SMOKE07 numerator <num> and denominator <den>
    When CQRS calculates achievement
    Then "<practice>" earns <points> points for SMOKE07

    Examples: at, inside and beyond the thresholds
      | practice | num  | den  | points |
      | P00001   | 50   | 100  | 0.00   |
      | P00002   | 1319 | 1497 | 10.48  |
      | P00003   | 90   | 100  | 11.00  |
      | P00004   | 97   | 100  | 11.00  |

  Scenario Outline: Points follow the thresholds of SMOKE08 (12 points, 40-90 %)
    Given practice "<practice>" reported SMOKE08 numerator <num> and denominator <den>
    When CQRS calculates achievement
    Then "<practice>" earns <points> points for SMOKE08

    Examples:
      | practice | num | den | points |
      | P00005   | 40  | 100 | 0.00   |
      | P00006   | 325 | 401 | 9.85   |

  Scenario: A diabetes payment is points x £133.76 x CPI x prevalence factor
    Given a practice with 6,000 patients at 1 January and a diabetes register of 300
    And a national diabetes prevalence of 2,700,000 in 55,000,000
    When the practice achieves 70 diabetes points
    Then CQRS pays £9,713.05 for them
