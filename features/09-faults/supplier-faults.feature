@faults
Feature: A supplier's faulty extract is refused naming the field; the rest of the collection arrives intact
  Faults a supplier can make in what it sends (simulator/supplier/faults.py), one practice each,
  in words or by the names scenario files use.
  GPES refuses each faulty extract before storing anything, says why in the collection's status,
  and forwards every other practice's extract unchanged. A resend is stored once; a practice
  whose extract never comes stays "requested".

  Background:
    Given a QOF 2012/13 world of 12 practices on EMIS, TPP, INPS and Microtest
    And A81001's extract will report a numerator above its denominator
    And A81002's extract will be sent twice
    And A81003 will never send its extract
    And A81005's extract will leave out an indicator
    And A81006's extract will repeat an indicator
    And A81007's extract will carry a negative count
    And A81008's extract will carry a list size that is not a whole number
    And A81009's extract will name last year's extraction
    And A81011's extract will claim to be A81010's
    And these supplier faults:
      | practice | fault  |
      | A81012   | resend |
    When GPES collects the QOF 2012/13 extraction

  Scenario Outline: GPES refuses <practice>'s faulty extract, naming <field>, and stores nothing of it
    Then GPES reports <practice> rejected, naming the field "<field>"
    And CQRS holds no extract for <practice>

    Examples:
      | practice | field                    |
      | A81001   | indicators[n]            |
      | A81005   | indicators               |
      | A81006   | indicators[n].id         |
      | A81007   | indicators[n].exceptions |
      | A81008   | list_size                |
      | A81009   | spec_id                  |

  Scenario Outline: An extract sent twice is stored once (<practice>)
    Then GPES reports <practice> acknowledged
    And CQRS holds exactly one extract for <practice>

    Examples:
      | practice |
      | A81002   |
      | A81012   |

  Scenario: A practice whose extract never comes stays requested
    Then GPES reports A81003 requested
    And CQRS holds no extract for A81003

  Scenario: An extract that claims another supplier's practice is refused, and that practice is unharmed
    Then GPES reports A81011 requested
    And CQRS holds no extract for A81011
    And CQRS holds for A81010 exactly the counts TPP sent

  Scenario: Every other practice's counts arrive intact
    Then GPES reports every practice acknowledged but A81001, A81003, A81005, A81006, A81007, A81008, A81009 and A81011
    And CQRS holds one extract for each practice but A81001, A81003, A81005, A81006, A81007, A81008, A81009 and A81011
    And every count is conserved from the suppliers through GPES to CQRS
