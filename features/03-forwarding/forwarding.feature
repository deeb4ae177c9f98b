@forwarding @read_only
Feature: GPES forwards every accepted extract to CQRS unchanged
  GPES stores each valid extract before it answers the supplier, then forwards the same bytes from
  its own table (an outbox, retried until CQRS acknowledges). CQRS checks the SHA-256 before it
  stores anything. Counts are never transformed on the way.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    When GPES collects the QOF 2012/13 extraction

  Scenario: CQRS holds for a TPP practice exactly the counts TPP sent
    Then CQRS holds for A81002 exactly the counts TPP sent

  Scenario: Every practice's counts arrive in CQRS exactly as its supplier sent them
    Then for every practice CQRS holds exactly the counts its supplier sent
    And every extract CQRS holds has the bytes and the SHA-256 its supplier sent

  Scenario: Each accepted extract is forwarded once and acknowledged
    Then GPES forwarded each accepted extract to CQRS exactly once
    And GPES reports every practice acknowledged
    And CQRS holds one extract for each of the 8 practices
