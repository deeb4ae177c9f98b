@payments
Feature: CQRS pays £133.76 a point, by list size, prevalence and target population
  A clinical area is paid points x £133.76 x CPI x APDF: CPI is the list at 1 January / 5,891, APDF
  the practice's prevalence (register / list) over the national prevalence (every register over
  every list of the practices CQRS holds). Smoking is paid without a prevalence factor. An
  additional service is paid by its target population over the national average target
  population, or by CPI when the extract carries none. During the year a practice was paid 70 %
  of its expected achievement in 12 monthly aspiration payments; the year-end payment is net of them.
  Every scenario over the services sends all four practices' extracts, so the national figures
  are those of its own table.

  Background:
    Given a QOF 2012/13 world of 4 practices on EMIS, TPP, INPS and Microtest

  Scenario: A diabetes payment is weighted by the practice's prevalence against the nation's
    Given these extracts:
      | practice | list size | Diabetes register | Diabetes indicators |
      | A81001   | 6,000     | 300               | 100 of 100          |
      | A81002   | 6,000     | 150               | 100 of 100          |
      | A81003   | 6,000     | 450               | 100 of 100          |
      | A81004   | 6,000     | 300               | 100 of 100          |
    When the extracts are sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81001 earns 88 points for the Diabetes area
    And A81001 is paid £11,988.67 for Diabetes
    And A81002 is paid £5,994.34 for Diabetes
    And A81003 is paid £17,983.01 for Diabetes
    And A81001's Diabetes payment is weighted by its prevalence

  Scenario Outline: Smoking is paid by list size alone: <list> patients
    Given these extracts:
      | practice | list size | Smoking indicators |
      | A81001   | <list>    | 90 of 100          |
      | A81002   | 5,891     | 90 of 100          |
      | A81003   | 5,891     | 90 of 100          |
      | A81004   | 5,891     | 90 of 100          |
    When the extracts are sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81001 earns 69 points for the Smoking area
    And A81001 is paid £<paid> for Smoking

    Examples:
      | list   | paid      |
      | 5,891  | 9,229.44  |
      | 11,782 | 18,458.88 |
      | 2,000  | 3,133.40  |

  Scenario: An additional service is paid by its target population, or by CPI without one
    Given these extracts:
      | practice | list size | Cervical screening indicators | Cervical screening target population |
      | A81001   | 6,000     | 100 of 100                    | 1,200                                |
      | A81002   | 6,000     | 100 of 100                    | 900                                  |
      | A81003   | 6,000     | 100 of 100                    | 1,500                                |
      | A81004   | 6,000     | 100 of 100                    |                                      |
    When the extracts are sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81001's Cervical screening payment is weighted by its target population CS
    And A81004's Cervical screening payment is weighted by its list size (CPI)
    And A81001 is paid £2,724.70 for Cervical screening
    And A81003 is paid £3,405.87 for Cervical screening
    And A81004 is paid £2,724.70 for Cervical screening

  Scenario: A practice without last year's score is paid aspiration on the national average, and repays the excess
    Given A81001 has a list of 5,891 patients
    And A81001 reports every Smoking indicator at 100 of 100
    When A81001's extract is sent through GPES to CQRS
    And CQRS calculates achievement
    Then A81001 was paid £7,496.80 a month in aspiration payments
    And A81001 is paid £9,764.48 in all
    And A81001's year-end payment, net of aspiration, is a repayment of £80,197.12

  @unit
  Scenario: The published diabetes example: 70 points x £133.76 x CPI x prevalence factor
    Given a practice with 6,000 patients at 1 January and a diabetes register of 300
    And a national diabetes prevalence of 2,700,000 in 55,000,000
    When the practice achieves 70 diabetes points
    Then CQRS pays £9,713.05 for them
    And its contractor population index is 1.0185
