@faults @slow
Feature: A slow, flaky, stalling or absent supplier: GPES retries, and says what happened
  Supplier personalities change how and when a supplier answers (simulator/supplier/personality.py).
  GPES retries an extraction request a supplier fails or stalls on, with back-off, gives up after
  6 attempts, and reports each practice's status and why.

  Background:
    Given a QOF 2012/13 world of 4 practices on EMIS, TPP, INPS and Microtest
    And EMIS is down for the whole collection
    And TPP answers GPES's extraction requests after 200 ms
    And INPS answers 50 % of extraction requests with 503
    And Microtest stalls on its first 1 extraction requests for 11 seconds
    When GPES collects the QOF 2012/13 extraction

  Scenario: A supplier that is down is not collected, and GPES says why
    Then GPES reports A81001 not collected, saying "gave up after 6 attempts"
    And CQRS holds no extract for A81001

  Scenario: A slow supplier is collected
    Then GPES reports A81002 acknowledged
    And CQRS holds for A81002 exactly the counts TPP sent

  Scenario: A flaky supplier is asked again until it answers
    Then GPES reports A81003 acknowledged
    And CQRS holds for A81003 exactly the counts INPS sent

  Scenario: A request that stalls past GPES's timeout is asked again
    Then GPES reports A81004 acknowledged
    And CQRS holds for A81004 exactly the counts Microtest sent
