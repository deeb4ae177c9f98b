Feature: The QOF 2012/13 test collection reaches CQRS unchanged and is paid by the rules
  GPES collects aggregated counts from every supplier and passes them to CQRS without
  transformation. No patient-level data leaves a supplier. CQRS turns the counts into points
  and payments, the practice declares, its commissioner approves, and payment follows.

  Background:
    Given the synthetic nation "infrastructure-test" with 12 practices across EMIS, TPP, INPS and Microtest
    And GPES has published the extraction "QOF-2012-13" with achievement date 31/03/2013

  Scenario: Every practice's counts arrive in CQRS exactly as its supplier sent them
    When GPES collects the extraction from every supplier
    Then CQRS holds one extract for each of the 12 practices
    And for every practice the counts CQRS holds equal the counts its supplier sent
    And every extract CQRS holds has the SHA-256 its supplier computed
    And no message that left a supplier contains an NHS number

  Scenario: A supplier that resends an extract does not double a practice's counts
    Given the first TPP practice's extract will be sent twice
    When GPES collects the extraction from every supplier
    Then CQRS holds exactly one extract for that practice
    And GPES answered the second copy as it answered the first

  Scenario: A supplier's faulty extract is refused and nothing of it is stored
    Given the first EMIS practice's extract will report a numerator above its denominator
    When GPES collects the extraction from every supplier
    Then GPES refused 1 extract naming the field "indicators[0]"
    And CQRS holds no extract for that practice
    And CQRS holds one extract for each of the other 11 practices

  Scenario: Payments follow the rules and every approved practice is paid once
    When GPES collects the extraction from every supplier
    And every practice declares and its commissioner approves
    And CQRS runs the payment
    Then every practice has exactly one payment instruction
    And every payment re-derives to the penny from the counts CQRS stored
    And the payment instructions add up to the total CQRS calculated
