@resilience @slow
Feature: Kill any service mid-collection: nothing is lost or doubled
  Jobs, sends, receipts and the outbox live in each service's own database. A supplier restarted
  mid-job resends only what GPES never answered; a GPES restarted mid-forward forwards what CQRS
  never acknowledged; a CQRS restarted mid-ingest is retried until it answers. Each supplier sends
  one practice late, so a collection is still in flight when a service is killed (SIGKILL).

  Background:
    Given a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest
    And EMIS sends A81008's extract 3 seconds after the others
    And TPP sends A81006's extract 3 seconds after the others
    And INPS sends A81003's extract 3 seconds after the others
    And Microtest sends A81004's extract 3 seconds after the others

  Scenario Outline: <service> killed while the extracts are on their way loses and doubles nothing
    When <service> is killed while the extracts are on their way, and started again
    Then every extract a supplier was told was accepted is in CQRS exactly once, byte for byte
    And GPES reports every practice acknowledged

    Examples:
      | service |
      | CQRS    |
      | GPES    |
      | EMIS    |

  Scenario: GPES keeps every extract while CQRS is down, and forwards them when it is back
    Given CQRS is killed
    When GPES starts collecting the QOF 2012/13 extraction
    Then GPES holds every practice's extract, reporting it forwarded but not yet acknowledged
    When CQRS is started again
    And the collection finishes
    Then GPES reports every practice acknowledged
    And every extract a supplier was told was accepted is in CQRS exactly once, byte for byte
