@cqrs
Feature: CQRS stores each forwarded extract once, and a later extract supersedes the earlier
  CQRS trusts no sender: it checks the checksum and the contract again before it stores an
  extract. The same extract forwarded twice is stored once. A later extract for the same practice
  supersedes the one CQRS held, and the practice's record goes back to the practice to declare.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    When GPES collects the QOF 2012/13 extraction

  Scenario: The same extract forwarded again is stored once
    When GPES forwards the extract CQRS holds for A81001 once more
    Then CQRS answers with the receipt it gave the first time
    And CQRS holds exactly one extract for A81001

  Scenario: CQRS refuses bytes that do not match their checksum
    When GPES forwards the extract for A81003 with a checksum that does not match
    Then CQRS refuses it, naming the field "X-Content-SHA256" and saying "does not match the header"
    And CQRS holds exactly one extract for A81003

  Scenario: A later collection supersedes the extract CQRS held, and the practice declares again
    Given CQRS calculates achievement
    And A81005 declares its achievement
    When GPES collects the QOF 2012/13 extraction again
    Then CQRS holds 2 extracts for A81005, only the latest current
    And A81005's record is "Awaiting Service Provider Approval"
    When CQRS calculates achievement
    And A81005 declares its achievement
    Then A81005's record is "Awaiting Commissioning Organisation Approval"
