@gpes
Feature: GPES refuses an extract that breaks the contract, the published spec or the request
  GPES validates every extract before it stores anything: the contract (types, signs, numerator
  within denominator, no unknown field), the published spec (its id, dates, registers, indicators
  and target populations) and the request it answers (which supplier, which practices). A refused
  extract is answered 422, each reason naming its field, and nothing of it is stored or forwarded.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest

  Scenario Outline: GPES refuses an extract with <alteration>
    When TPP sends GPES an extract for A81002 with <alteration>
    Then GPES refuses it, naming the field "<field>" and saying "<reason>"
    And nothing of A81002's refused extract is stored by GPES or CQRS

    Examples: the published spec
      | alteration                           | field               | reason                                |
      | the spec id QOF-2011-12              | spec_id             | does not match the published spec     |
      | the achievement date 31/03/2012      | achievement_date    | does not match the spec's 2013-03-31  |
      | no DM register                       | registers.DM        | missing register                      |
      | an extra register XYZ                | registers.XYZ       | not a register of the spec            |
      | an extra indicator DM99              | indicators[n].id    | DM99 is not an indicator of the spec  |
      | DM26 twice                           | indicators[n].id    | duplicate indicator DM26              |
      | no DM26                              | indicators          | missing indicator DM26                |
      | an extra target population XX        | target_populations.XX | not a target population of the spec |

    Examples: the request and the practice registry
      | alteration                           | field               | reason                                |
      | the practice code Z99999             | practice_code       | unknown practice Z99999               |
      | the practice code A81001             | practice_code       | practice A81001 uses EMIS, not TPP    |
      | a request GPES never made            | request_id          | no extraction request                 |
      | the request GPES made to EMIS        | supplier            | was sent to EMIS, not TPP             |
      | a request for A81006 only            | practice_code       | is not in request                     |

    Examples: the contract
      | alteration                           | field               | reason                                |
      | DM26 numerator above its denominator | indicators[n]       | is above denominator                  |
      | a negative exceptions for DM26       | indicators[n].exceptions | greater than or equal to 0       |
      | a list size of 1500.5                | list_size           | valid integer                         |
      | a DM register larger than the list   | registers.DM        | is above list_size                    |
      | an NHS number                        | nhs_number          | Extra inputs are not permitted        |
      | a body that is not JSON              | body                | not JSON: Unterminated string         |

  Scenario: GPES accepts a valid extract, and answers a resend of it as it answered the first
    When TPP sends GPES a valid extract for A81002
    Then GPES accepts it
    When TPP sends GPES the same extract for A81002 again
    Then GPES answers it as it answered the first

  Scenario: GPES refuses other counts under an extract id it has already accepted
    When TPP sends GPES a valid extract for A81006
    Then GPES accepts it
    When TPP sends GPES other counts for A81006 under the same extract id
    Then GPES refuses it with 409, saying "was already received with different content"
