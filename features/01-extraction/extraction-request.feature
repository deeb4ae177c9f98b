@extraction @read_only
Feature: GPES asks each supplier for the QOF 2012/13 extraction
  GPES publishes the extraction (which registers, indicators and target populations every extract
  carries, and the dates they are counted on) and starts a collection: one extraction request per
  supplier, naming that supplier's practices and no other. Each supplier answers at once with a
  job and runs the business rules in its practices' records.

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    And GPES has published the extraction "QOF-2012-13" with achievement date 31/03/2013

  Scenario: GPES publishes the QOF 2012/13 extraction
    Then GPES publishes the extraction "QOF-2012-13" with 84 indicators, 20 registers and 4 target populations
    And the extraction counts on 31/03/2013 and takes list sizes on 01/01/2013

  Scenario: A collection sends one request to each supplier, naming only its own practices
    Given practice A81002 is on TPP
    When GPES collects the QOF 2012/13 extraction
    Then GPES sent one extraction request to each of EMIS, TPP, INPS and Microtest
    And the request to EMIS names its own 4 practices and no other
    And the request to TPP names its own 2 practices and no other
    And the request to INPS names its own 1 practices and no other

  Scenario: Each supplier answers at once with a job, and finishes it
    When GPES collects the QOF 2012/13 extraction
    Then every supplier answered at once with a job and finished it
    And GPES reports every practice acknowledged
