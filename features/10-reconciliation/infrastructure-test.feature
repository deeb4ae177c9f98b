@reconciliation
Feature: The QOF 2012/13 infrastructure test reconciles end to end
  The nation of scenarios/qof-2012-13-infrastructure-test.yaml (12 practices, 62,301 patients): every
  practice's counts reach CQRS unchanged, no patient identifier leaves a supplier, every practice
  declares, its commissioner approves, finance pays each once, and every payment re-derives to the
  penny from the stored counts through qofsim's independent (QMAS) calculation.

  Background:
    Given the synthetic nation "infrastructure-test" with 12 practices across EMIS, TPP, INPS and Microtest
    And GPES has published the extraction "QOF-2012-13" with achievement date 31/03/2013

  Scenario: Every count is conserved from the suppliers through GPES to CQRS
    When GPES collects the QOF 2012/13 extraction
    Then every count is conserved from the suppliers through GPES to CQRS
    And every extract CQRS holds has the bytes and the SHA-256 its supplier sent
    And no extract that left a supplier carries an NHS number

  Scenario: Every practice is paid once, and every payment re-derives to the penny
    When GPES collects the QOF 2012/13 extraction
    And every practice enters its 44 manual indicators
    And CQRS calculates achievement
    And every practice declares and its commissioner approves
    And CQRS runs the payment
    Then every practice has exactly one payment instruction
    And every payment re-derives to the penny from the counts CQRS stored
    And the payment instructions add up to the total CQRS calculated
