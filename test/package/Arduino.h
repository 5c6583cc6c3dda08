/* Minimal Arduino.h stand-in for compiling generated sketches on the host
 * (test/package/formats.test.ts): the Serial calls, millis/micros/delay the
 * sketches use, printing to stdout. Not an Arduino core. */
#ifndef EDGEC_TEST_ARDUINO_H
#define EDGEC_TEST_ARDUINO_H

#include <stdint.h>
#include <stdio.h>

class HardwareSerial {
 public:
  void begin(unsigned long) {}
  operator bool() const { return true; }
  void print(const char *s) { fputs(s, stdout); }
  void print(long v) { printf("%ld", v); }
  void print(int v) { printf("%d", v); }
  void print(double v, int digits = 2) { printf("%.*f", digits, v); }
  void println() { fputs("\n", stdout); }
  void println(const char *s) { printf("%s\n", s); }
  void println(long v) { printf("%ld\n", v); }
};

extern HardwareSerial Serial;
unsigned long millis(void);
unsigned long micros(void);
void delay(unsigned long ms);

#endif
