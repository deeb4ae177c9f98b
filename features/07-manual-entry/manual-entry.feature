@manual
Feature: A practice enters the 44 indicators GPES does not extract, inside the entry window
  Organisational, patient experience and one additional services indicator (CS05) are entered by
  the practice in CQRS: yes/no as achieved or not, a manual percentage as numerator of
  denominator. Entry opens once the automatic collection has completed, inside the entry window
  (1 April to 30 June 2013), and closes when the commissioner approves. A request is judged whole
  before anything is stored; each refusal names its field. A changed entry sends a calculated
  record back to the practice. The scenarios share the feature's world, in order.

  Background:
    Given a QOF 2012/13 world of 4 practices on EMIS, TPP, INPS and Microtest

  Scenario: Manual entry opens only once the automatic collection has completed
    When A81001 enters RECORDS03 as achieved
    Then CQRS refuses it with 409, saying "the automatic collection has not completed for A81001"

  Scenario: Every practice enters its 44 manual indicators, and CQRS counts them
    Given GPES collects the QOF 2012/13 extraction
    When every practice enters its 44 manual indicators
    And CQRS calculates achievement
    Then CQRS holds 44 manual entries for A81001
    And A81001's achievement counts 44 manual entries

  Scenario: A yes/no indicator is entered as achieved, a percentage as numerator of denominator
    Given GPES collects the QOF 2012/13 extraction
    When A81002 enters RECORDS03 as achieved
    Then CQRS accepts it
    When A81002 enters RECORDS09 at 172 of 200
    Then CQRS accepts it
    And CQRS holds RECORDS03 for A81002 as achieved
    And CQRS holds RECORDS09 for A81002 as 172 of 200
    When CQRS calculates achievement
    Then A81002 earns 4.00 points for RECORDS09
    And A81002 earns 1.00 points for RECORDS03

  Scenario Outline: CQRS refuses an entry that is not one, naming the field: <entry>
    Given GPES collects the QOF 2012/13 extraction
    When A81003 enters <entry>
    Then CQRS refuses it, naming the field "<field>" and saying "<reason>"

    Examples:
      | entry                 | field                | reason                              |
      | DM26 as achieved      | entries[0].ind_code  | is extracted by GPES                |
      | DM99 as achieved      | entries[0].ind_code  | DM99 is not a QOF 2012/13 indicator |
      | RECORDS09 as achieved | entries[0].numerator | is a percentage                     |
      | RECORDS03 at 1 of 1   | entries[0].achieved  | is a yes/no indicator               |

  Scenario: A changed entry sends a declared record back to the practice, to be recalculated
    Given GPES collects the QOF 2012/13 extraction
    And A81004 enters its 44 manual indicators
    And A81004 enters RECORDS03 as achieved
    And CQRS calculates achievement
    And A81004 declares its achievement
    When A81004 enters RECORDS03 as not achieved
    Then A81004's record is "Awaiting Service Provider Approval"
    When A81004 declares its achievement
    Then CQRS refuses it with 409, saying "recalculate before declaring"
    When CQRS calculates achievement
    And A81004 declares its achievement
    Then A81004's record is "Awaiting Commissioning Organisation Approval"

  Scenario: Manual entry is closed once its window has passed
    Given CQRS's calendar reads 01/07/2013
    When A81001 enters RECORDS03 as achieved
    Then CQRS refuses it with 409, saying "is open 2013-04-01 to 2013-06-30; today is 2013-07-01"
