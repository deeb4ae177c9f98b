"""What every service's face shares: settings loading, error shapes."""
