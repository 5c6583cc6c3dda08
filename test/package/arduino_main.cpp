/* Host driver for a generated sketch: the stand-in core's globals, then
 * setup() and one loop(). */
#include "Arduino.h"

HardwareSerial Serial;
static unsigned long edgec_test_clock;
unsigned long millis(void) { return edgec_test_clock / 1000u; }
unsigned long micros(void) { return edgec_test_clock += 10u; }
void delay(unsigned long) {}

void setup();
void loop();

int main() {
  setup();
  loop();
  return 0;
}
