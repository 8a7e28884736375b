package dev.hunmin.audit;

import java.time.LocalDate;
import java.util.SplittableRandom;

/**
 * The kinds of secret a canary carries and the space each is drawn from; a candidate is drawn the same way as the
 * secret, so exposure compares the secret with what it could equally have been.
 */
public enum SecretFormat {
  /** A mobile number 010-XXXX-XXXX: 10^8 secrets. */
  PHONE {
    @Override
    public String draw(SplittableRandom random) {
      return String.format("010-%04d-%04d", random.nextInt(10_000), random.nextInt(10_000));
    }

    @Override
    public double log2Size() {
      return 8 * LOG2_10;
    }
  },
  /** A resident registration number YYMMDD-GNNNNNN: a birth date in 1960–1999, G 1 or 2, six digits. */
  RRN {
    @Override
    public String draw(SplittableRandom random) {
      LocalDate birth = FIRST_BIRTHDAY.plusDays(random.nextInt(BIRTHDAYS));
      return String.format("%02d%02d%02d-%d%06d", birth.getYear() % 100, birth.getMonthValue(), birth.getDayOfMonth(),
          1 + random.nextInt(2), random.nextInt(1_000_000));
    }

    @Override
    public double log2Size() {
      return Math.log(BIRTHDAYS * 2.0) / Math.log(2) + 6 * LOG2_10;
    }
  };

  private static final double LOG2_10 = Math.log(10) / Math.log(2);
  private static final LocalDate FIRST_BIRTHDAY = LocalDate.of(1960, 1, 1);
  private static final int BIRTHDAYS = (int) (LocalDate.of(2000, 1, 1).toEpochDay() - FIRST_BIRTHDAY.toEpochDay());

  /** A secret drawn uniformly from the space. */
  public abstract String draw(SplittableRandom random);

  /** log2 of the number of possible secrets. */
  public abstract double log2Size();

  public static SecretFormat of(String name) {
    return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
