/**
 * Logging from code that runs both inside and outside activities: inside one, the activity's logger
 * (its lines carry the workflow and activity ids); elsewhere (a script, a unit test), stderr.
 */
import { Context } from '@temporalio/activity';

export function warn(message: string): void {
  let inActivity = true;
  try {
    Context.current();
  } catch {
    inActivity = false;
  }
  if (inActivity) Context.current().log.warn(message);
  else console.warn(message);
}
