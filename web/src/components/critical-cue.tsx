import { useEffect, useState } from 'preact/hooks';
import { useLive } from '../hooks.js';
import { useI18n } from '../i18n.js';

const SOUND_KEY = 'kiosk-fleet.sound';
let audio: AudioContext | null = null;

/**
 * Browsers start an AudioContext only from a user gesture: the first click or key press anywhere
 * on the page prepares it, so a later critical alert can sound on a wall screen nobody touches.
 */
function unlockAudioOnFirstGesture(): void {
  const unlock = () => {
    audio ??= new AudioContext();
    void audio.resume();
  };
  addEventListener('pointerdown', unlock, { once: true });
  addEventListener('keydown', unlock, { once: true });
}
unlockAudioOnFirstGesture();

/** Two short tones (880 Hz then 660 Hz), when the page may play sound. */
function beep(): void {
  const context = audio;
  if (!context) return;
  [880, 660].forEach((hz, i) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const startS = context.currentTime + i * 0.25;
    oscillator.frequency.value = hz;
    gain.gain.setValueAtTime(0.2, startS);
    gain.gain.exponentialRampToValueAtTime(0.001, startS + 0.2);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(startS);
    oscillator.stop(startS + 0.22);
  });
}

/** A beep, when sound is on, for each new critical alert; the banner (critical-banner.tsx) shows it. */
export function CriticalCue() {
  const { t } = useI18n();
  const news = useLive((s) => s.newCritical);
  const [isSoundOn, setSoundOn] = useState(() => localStorage.getItem(SOUND_KEY) !== 'off');
  useEffect(() => {
    if (news && isSoundOn) beep();
  }, [news?.seq]);
  const toggle = () => {
    const next = !isSoundOn;
    setSoundOn(next);
    localStorage.setItem(SOUND_KEY, next ? 'on' : 'off');
  };
  /* One name, the state in aria-pressed: "Sound off, not pressed" would say the opposite of what it means. */
  return (
    <button type="button" class="sound-toggle" aria-pressed={isSoundOn} onClick={toggle}>
      {t('alertSound')}
    </button>
  );
}
