// What each staff role may do, as the API enforces it (the console only hides what would be refused).
import { session } from "./auth.js";

const RULES = {
  "page.write": ["admin"],
  "survey.write": ["admin"],
  "settings.write": ["admin"],
  "organizations.write": ["admin"],
  "activities.write": ["admin", "coordinator", "org"],
  "imports.write": ["admin", "coordinator"],
  "imports.read": ["admin", "coordinator", "viewer"],
  "registrations.read": ["admin", "coordinator", "viewer"],
  "reviews.decide": ["admin", "coordinator"],
  "participations.decide": ["admin", "coordinator"],
  "contents.write": ["admin", "coordinator"],
  "support.write": ["admin", "coordinator"],
  "consultations.write": ["admin", "coordinator"],
  "staff.manage": ["admin"],
  "audit.read": ["admin"],
  "stats.read": ["admin", "coordinator", "viewer"],
  "settings.read": ["admin", "coordinator", "viewer"],
};

export function can(action) {
  const p = session.value?.principal;
  if (!p || p.role !== "staff") return false;
  return (RULES[action] || []).includes(p.staff_role);
}

export const ROLE_LABELS = {
  admin: "管理者",
  coordinator: "担当者",
  viewer: "閲覧者",
  org: "団体職員",
};
