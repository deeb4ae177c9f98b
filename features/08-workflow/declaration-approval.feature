@workflow
Feature: The practice declares, its commissioner approves or rejects, finance pays once
  CQRS's states: Awaiting Service Provider Approval, Awaiting Commissioning Organisation Approval,
  Approved, Payment Instructed. A practice declares its calculated achievement; only its own
  commissioner (CCG) may approve or reject it; a rejection sends it back to the practice to
  declare again. The payment run instructs every approved practice once, in a CSV file. The
  scenarios share the feature's world, each with practices of its own.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    And GPES collects the QOF 2012/13 extraction
    And CQRS calculates achievement

  Scenario: A practice declares, its commissioner approves, and it is paid once
    When A81001 declares its achievement
    Then A81001's record is "Awaiting Commissioning Organisation Approval"
    When its commissioner approves A81001
    Then A81001's record is "Approved"
    When CQRS runs the payment
    And CQRS runs the payment
    Then A81001 has exactly one payment instruction, for the payment CQRS calculated
    And A81001's record is "Payment Instructed"

  Scenario: A commissioner rejects a declaration; the practice declares again and is paid
    Given A81002 declares its achievement
    When its commissioner rejects A81002 because "the diabetes register looks too small"
    Then A81002's record is "Awaiting Service Provider Approval"
    When A81002 declares its achievement
    And its commissioner approves A81002
    And CQRS runs the payment
    Then A81002 has exactly one payment instruction, for the payment CQRS calculated

  Scenario: Only the practice's own commissioner may approve it
    Given A81003 is commissioned by 01A
    And A81003 declares its achievement
    When commissioner 01B approves A81003
    Then CQRS refuses it, naming the field "approver" and saying "01B does not commission A81003"
    And A81003's record is "Awaiting Commissioning Organisation Approval"

  Scenario: A practice that has not declared is not paid
    When CQRS runs the payment
    Then A81004 has no payment instruction
    And A81004's record is "Awaiting Service Provider Approval"

  Scenario: A declaration made twice is made once
    Given A81005 declares its achievement
    When A81005 declares its achievement
    Then CQRS accepts it
    And A81005's record is "Awaiting Commissioning Organisation Approval"

  Scenario: A commissioner cannot approve what was not declared
    When its commissioner approves A81006
    Then CQRS refuses it with 409, saying "not 'Awaiting Commissioning Organisation Approval'"
