package dev.hunmin.util;

/**
 * A failure the user can act on: the message is one line saying what went wrong and where.
 * The CLI prints it as is and exits with {@link #exitCode()}.
 */
public class HunminException extends RuntimeException {
  /** Bad input or configuration: retrying will not help. */
  public static final int BAD_INPUT = 2;
  /** A storage, network or cluster failure: a scheduler may retry. */
  public static final int EXTERNAL = 3;

  private final int exitCode;

  public HunminException(String message) {
    this(message, BAD_INPUT, null);
  }

  public HunminException(String message, Throwable cause) {
    this(message, BAD_INPUT, cause);
  }

  public HunminException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
